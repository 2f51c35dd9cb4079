"""Loads and queries the model as a service would; packaged by :probe_layers."""

import asyncio

from services.analytics.inference.component import InferenceComponent


async def main() -> None:
    component = InferenceComponent()
    await component.start()
    try:
        print(component.info, await component.predict([0.001] * component.info.inputs))
    finally:
        await component.stop()


if __name__ == "__main__":
    asyncio.run(main())
