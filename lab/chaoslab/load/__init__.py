"""Load: what ends every locustfile's run (`bounds.py`), real-browser visitors, busy cores. Each
service's locustfile lives in its home (specs/catalog/<service>/locustfile.py)."""
