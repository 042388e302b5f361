"""The simulated AWS account: moto in server mode with SageMaker fixes, Studio, faults and a movable clock.

```python
with SimServer() as sim:
    sagemaker = sim.client("sagemaker")
    sim.faults.throttle(service="sagemaker", times=2)
    sim.clock.set(datetime(2025, 1, 1, tzinfo=UTC))
```
"""

from sagetrim.sim.clock import SimClock
from sagetrim.sim.faults import Fault, FaultInjector
from sagetrim.sim.server import RequestLog, RequestRecord, SimServer, SimSession
from sagetrim.sim.wire import SimServiceError

__all__ = [
    "Fault",
    "FaultInjector",
    "RequestLog",
    "RequestRecord",
    "SimClock",
    "SimServer",
    "SimServiceError",
    "SimSession",
]
