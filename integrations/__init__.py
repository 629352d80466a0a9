"""Sources of account data. Each connector maps its system into the normalized records of base.py."""
