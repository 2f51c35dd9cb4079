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

def port_registry_errors(fastapi = {}, express = {}, source = "the port registry"):
    """What is wrong with a port registry: one message per problem, each saying what to change.

    port_registry() fails with these messages. They are computed apart from it, without
    fail(), so that tests can check every message (a failure at loading time cannot be
    caught).

    Args:
      fastapi: FastAPI services, name to port.
      express: Express services, name to port.
      source: how messages name the registry, e.g. its path "services/ports.bzl".

    Returns:
      A list of messages, empty when the registry is fine.
    """
    by_framework = {"express": express, "fastapi": fastapi}

    # A suggested port must be free of every entry, not only of the entries before it.
    taken = {}
    for entries in (fastapi, express):
        for port in entries.values():
            if type(port) == "int":
                taken[port] = True
    errors = []
    names = {}
    owners = {}
    for framework in ("fastapi", "express"):
        low, high = _RANGES[framework]
        for name, port in by_framework[framework].items():
            if type(port) != "int":
                errors.append("{}: the port of \"{}\" must be a number, not {}".format(source, name, repr(port)))
            elif name in names:
                errors.append("{}: \"{}\" is listed twice; keep one entry".format(source, name))
            elif port in owners:
                errors.append("{}: \"{}\" and \"{}\" both use port {}; give \"{}\" the next free port, {}".format(
                    source,
                    owners[port],
                    name,
                    port,
                    name,
                    _next_free(taken, framework),
                ))
            elif port < low or port > high:
                errors.append("{}: {} service \"{}\" has port {}, outside {}-{}; use the next free port, {}".format(
                    source,
                    framework,
                    name,
                    port,
                    low,
                    high,
                    _next_free(taken, framework),
                ))
            names[name] = True
            if type(port) == "int" and port not in owners:
                owners[port] = name
    return errors

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
    errors = port_registry_errors(fastapi = fastapi, express = express, source = source)
    if errors:
        fail("\n".join(errors))
    ports = {}
    frameworks = {}
    for framework, entries in (("fastapi", fastapi), ("express", express)):
        for name, port in entries.items():
            ports[name] = port
            frameworks[name] = framework
    return struct(ports = ports, frameworks = frameworks, source = source)

def service_port_errors(name, registry, framework = "fastapi"):
    """What keeps service `name` from having a port: at most one message, saying what to change.

    service_port() fails with it; computed apart, without fail(), so that tests can check it.

    Args:
      name: the service name.
      registry: what port_registry() returned.
      framework: "fastapi" or "express", for the suggested port.

    Returns:
      A list of messages, empty when the service has a port in its framework's range.
    """
    if type(registry) != "struct" or not hasattr(registry, "ports"):
        return ["service \"{}\": ports must be what port_registry() returns, not {}; wrap the macro once in a .bzl of your repository that passes your registry".format(name, type(registry))]
    ports = registry.ports
    if name not in ports:
        taken = {port: True for port in ports.values()}
        return ["service \"{name}\" has no port: add this line to the {framework} dict in {source}:\n        \"{name}\": {port},".format(
            name = name,
            framework = framework,
            source = registry.source,
            port = _next_free(taken, framework),
        )]
    port = ports[name]
    low, high = _RANGES[framework]
    if port < low or port > high:
        return ["service \"{}\" is a {} service but its port {} is outside {}-{}; move it to the {} dict of {} with a port in that range".format(
            name,
            framework,
            port,
            low,
            high,
            framework,
            registry.source,
        )]
    return []

def service_port(name, registry, framework = "fastapi"):
    """The port of service `name`, or a failure that gives the exact line to add.

    Args:
      name: the service name.
      registry: what port_registry() returned.
      framework: "fastapi" or "express", for the suggested port.

    Returns:
      The port number.
    """
    errors = service_port_errors(name, registry, framework)
    if errors:
        fail("\n".join(errors))
    return registry.ports[name]

def depends_on_errors(name, depends_on, registry):
    """What is wrong with a service's `depends_on`: one message per name to change.

    The service macros fail with these messages; computed apart, without fail(), so that
    tests can check them.

    Args:
      name: the service name.
      depends_on: names of the services it needs running first.
      registry: what port_registry() returned.

    Returns:
      A list of messages, empty when every name is another service of the registry.
    """
    if type(depends_on) != "list":
        return ["service \"{}\": depends_on must be a list of service names, not {}".format(name, type(depends_on))]
    errors = []
    ports = registry.ports if type(registry) == "struct" and hasattr(registry, "ports") else {}
    for dependency in depends_on:
        if dependency == name:
            errors.append("service \"{}\": depends_on names the service itself; list the services it calls".format(name))
        elif type(dependency) != "string" or dependency not in ports:
            errors.append("service \"{}\": depends_on names {}, which is not a service of {}; known: {}".format(
                name,
                repr(dependency),
                getattr(registry, "source", "the port registry"),
                ", ".join(sorted(ports)),
            ))
    return errors
