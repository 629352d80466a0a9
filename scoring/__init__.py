"""Reading the account: pure rules over an account snapshot, producing a health score and signals."""
