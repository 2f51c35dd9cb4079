"""The port registry: one dict of service ports, checked every time it is loaded."""

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

def port_registry(fastapi = {}, express = {}, source = "the port registry"):
    """Checks the ports of every service; returns the registry the service macros take.

    Loading fails, with a message naming the services involved and the next free port,
    when two services share a port, when a port is outside its framework's range
    (FastAPI 4100-4199, Express 4200-4299), or when a name is used twice.

    Args:
      fastapi: FastAPI services, name to port.
      express: Express services, name to port.
      source: how messages name the registry, e.g. its path "services/ports.bzl".

    Returns:
      A struct: `ports`, a dict from service name to port (both frameworks), `frameworks`,
      name to "fastapi" or "express", and `source`.
    """
    by_framework = {"express": express, "fastapi": fastapi}
    owners = {}
    ports = {}
    frameworks = {}
    for framework in ("fastapi", "express"):
        low, high = _RANGES[framework]
        for name, port in by_framework[framework].items():
            if type(port) != "int":
                fail("{}: the port of \"{}\" must be a number, not {}".format(source, name, repr(port)))
            if name in ports:
                fail("{}: \"{}\" is listed twice; keep one entry".format(source, name))
            if port in owners:
                fail("{}: \"{}\" and \"{}\" both use port {}; give \"{}\" the next free port, {}".format(
                    source,
                    owners[port],
                    name,
                    port,
                    name,
                    _next_free(owners, framework),
                ))
            owners[port] = name
            ports[name] = port
            frameworks[name] = framework
    for framework in ("fastapi", "express"):
        low, high = _RANGES[framework]
        for name, port in by_framework[framework].items():
            if port < low or port > high:
                fail("{}: {} service \"{}\" has port {}, outside {}-{}; use the next free port, {}".format(
                    source,
                    framework,
                    name,
                    port,
                    low,
                    high,
                    _next_free(owners, framework),
                ))
    return struct(ports = ports, frameworks = frameworks, source = source)

def service_port(name, registry, framework = "fastapi"):
    """The port of service `name`, or a failure that gives the exact line to add.

    Args:
      name: the service name.
      registry: what port_registry() returned.
      framework: "fastapi" or "express", for the suggested port.

    Returns:
      The port number.
    """
    if type(registry) != "struct" or not hasattr(registry, "ports"):
        fail("service \"{}\": ports must be what port_registry() returns, not {}; wrap the macro once in a .bzl of your repository that passes your registry".format(name, type(registry)))
    ports = registry.ports
    if name not in ports:
        taken = {port: True for port in ports.values()}
        fail("service \"{name}\" has no port: add this line to the {framework} dict in {source}:\n        \"{name}\": {port},".format(
            name = name,
            framework = framework,
            source = registry.source,
            port = _next_free(taken, framework),
        ))
    port = ports[name]
    low, high = _RANGES[framework]
    if port < low or port > high:
        fail("service \"{}\" is a {} service but its port {} is outside {}-{}; move it to the {} dict of {} with a port in that range".format(
            name,
            framework,
            port,
            low,
            high,
            framework,
            registry.source,
        ))
    return port
