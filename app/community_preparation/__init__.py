"""P6: preparing VSAC residents for life in the community: self-care assessments over time, the
mentor's daily-activity log, the progress view and the hand-over to the municipality."""
