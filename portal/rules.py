"""The error every area's services raise when a business rule refuses a request."""


class RuleError(ValueError):
    """A request a rule refuses. The (translated) ``message`` is shown next to ``field``, or
    above the form when ``field`` is None; ``params`` carry details a view may use."""

    def __init__(self, message: str, field: str | None = None, **params) -> None:
        super().__init__(message)
        self.message = message
        self.field = field
        self.params = params
