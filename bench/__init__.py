"""`mosface bench`: side-by-side latency, memory and scaling of MOS engines (needs the bench extra)."""
