"""Publishing: the atlas, the season and the cases as open standards for desktop GIS (OGC API – Features, vector tiles).

Every read goes through the same scoped queries as the rest of the domain: jurisdiction by
``Principal.scope``, religious-net facts only for callers holding that net, no personal data.
"""
