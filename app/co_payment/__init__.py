"""P8: co-payment for long-term social care in a VSAC (Law on Social Services and Social
Assistance, art. 29)."""
