"""Public (disclosure-controlled) editions of built reports; the method is :mod:`vrkit.disclosure`."""
