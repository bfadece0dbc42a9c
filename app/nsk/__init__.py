"""P7, money follows the client (NSK): eligibility checks and the monthly compensation reports."""
