"""Personal data: erasing a person (``salespipe privacy erase``), the suppression list that
keeps them out of later deliveries, and rewriting storage so deleted bytes are gone.

``identifiers`` and ``plan`` are pure; ``suppression``, ``artifacts``, ``compact`` and
``steps`` do the I/O. See docs/privacy.md.
"""
