"""P5: group homes (group apartments): stays, transfers between municipalities, and the monthly
report for the state co-financing (Cabinet Regulation No. 829 (2007))."""
