"""The port registry behind services/ports.bzl: checked every time it is loaded."""

FASTAPI_RANGE = (4100, 4199)
EXPRESS_RANGE = (4200, 4299)

_RANGES = {
    "express": EXPRESS_RANGE,
    "fastapi": FASTAPI_RANGE,
}

def _next_free(taken, framework):
    low, high = _RANGES[framework]
    for port in range(low, high + 1):
        if port not in taken:
            return port
    return None

def port_registry(fastapi = {}, express = {}):
    """Checks the ports of every service and returns them as one dict, name to port.

    Loading fails, with a message naming the services involved and the next free port,
    when two services share a port, when a port is outside its framework's range
    (FastAPI 4100-4199, Express 4200-4299), or when a name is used twice.

    Args:
      fastapi: FastAPI services, name to port.
      express: Express services, name to port.

    Returns:
      A dict from service name to port, both frameworks together.
    """
    by_framework = {"express": express, "fastapi": fastapi}
    owners = {}
    ports = {}
    for framework in ("fastapi", "express"):
        low, high = _RANGES[framework]
        for name, port in by_framework[framework].items():
            if type(port) != "int":
                fail("services/ports.bzl: the port of \"{}\" must be a number, not {}".format(name, repr(port)))
            if name in ports:
                fail("services/ports.bzl: \"{}\" is listed twice; keep one entry".format(name))
            if port in owners:
                fail("services/ports.bzl: \"{}\" and \"{}\" both use port {}; give \"{}\" the next free port, {}".format(
                    owners[port],
                    name,
                    port,
                    name,
                    _next_free(owners, framework),
                ))
            owners[port] = name
            ports[name] = port
    for framework in ("fastapi", "express"):
        low, high = _RANGES[framework]
        for name, port in by_framework[framework].items():
            if port < low or port > high:
                fail("services/ports.bzl: {} service \"{}\" has port {}, outside {}-{}; use the next free port, {}".format(
                    framework,
                    name,
                    port,
                    low,
                    high,
                    _next_free(owners, framework),
                ))
    return ports

def service_port(name, ports, framework = "fastapi"):
    """The port of service `name`, or a failure that gives the exact line to add.

    Args:
      name: the service name.
      ports: the PORTS dict of services/ports.bzl.
      framework: "fastapi" or "express", for the suggested port.

    Returns:
      The port number.
    """
    if name not in ports:
        taken = {port: True for port in ports.values()}
        fail("service \"{name}\" has no port: add this line to the {framework} dict in services/ports.bzl:\n        \"{name}\": {port},".format(
            name = name,
            framework = framework,
            port = _next_free(taken, framework),
        ))
    port = ports[name]
    low, high = _RANGES[framework]
    if port < low or port > high:
        fail("service \"{}\" is a {} service but its port {} is outside {}-{}; move it to the {} dict of services/ports.bzl with a port in that range".format(
            name,
            framework,
            port,
            low,
            high,
            framework,
        ))
    return port
