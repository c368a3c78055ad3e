"""What one area tells the others, without importing them.

An area sends a signal from inside a service; the areas that care connect a receiver in
their ``init_app``. Receivers run in the same transaction as the sender (they flush, never
commit), so a receiver that fails undoes the sender's change too: the runner rolls the
whole request back.
"""

from blinker import Namespace

_signals = Namespace()

#: R-O2: a paid order was voided (sender: the order; ``user``: who voided it). After-sales
#: opens a "refund only" case for it.
order_voided_while_paid = _signals.signal("order-voided-while-paid")
