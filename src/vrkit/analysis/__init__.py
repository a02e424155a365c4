"""Pure analysis functions on frames: measures, trends, rates, homicide table, ...

Nothing here reads files or the store; :mod:`vrkit.store.queries` hands frames in.
"""
