"""What the pure domain packages (``breakouts``, ``interpretation``) share: the error
base class and the audience targets of events. Standard library only, like them."""
