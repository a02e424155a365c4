"""Rendering of reports: HTML (one house style), XLSX, JSON and GeoPackage."""
