"""Process versions: compare two versions, migrate running instances, run BPMN unit tests."""
