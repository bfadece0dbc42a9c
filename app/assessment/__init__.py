"""P1: needs assessment of an adult with mental disorders and the individual support plan (IAP)
with its versions."""
