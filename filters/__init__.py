"""Plain-Python document filters: each computes signals on a Document and names the rules it fails."""
