"""How the library reports progress: it calls an ``Echo`` with one line of text.

The CLI passes a printer, tests and the pytest plugin a collector or ``lambda _: None``; the
library never prints on its own.
"""

from collections.abc import Callable

Echo = Callable[[str], object]
