"""Report objects built from named warehouse queries and pure analysis."""
