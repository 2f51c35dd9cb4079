"""Switches between two greenlets: a program whose extension module needs libstdc++."""

from greenlet import greenlet


def main() -> None:
    def ping() -> None:
        print("ping")
        pong_greenlet.switch()

    def pong() -> None:
        print("pong")

    pong_greenlet = greenlet(pong)
    greenlet(ping).switch()


if __name__ == "__main__":
    main()
