"""Readers of delivery data (issue #15): the London VRU example folder, vrkit's own delivery
tables (CSV), 360Giving grants (CSV and JSON) and filled monitoring returns (XLSX). Each parses
and validates only, returning records (:mod:`.records`); storing them is :mod:`vrkit.ops`'s job.
"""
