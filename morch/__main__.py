"""``python -m morch <command>``; the one command so far is ``plugins``."""

from __future__ import annotations

import argparse
import sys


def main(argv: list[str] | None = None) -> int:
    """Run the command line.

    Args:
        argv: the arguments (default: ``sys.argv[1:]``).

    Returns:
        The exit status.
    """
    parser = argparse.ArgumentParser(prog="python -m morch", description="morch command line")
    commands = parser.add_subparsers(dest="command", metavar="command")
    plugins = commands.add_parser(
        "plugins",
        help="list installed op plugins: distribution, version, ops and load errors",
        description="List the op plugins (entry-point group 'morch'). Exit status 1 if a plugin has an error.",
    )
    plugins.add_argument("--json", action="store_true", help="print JSON instead of text")
    args = parser.parse_args(argv)
    if args.command == "plugins":
        from morch.plugins import cli

        return cli.run(as_json=args.json)
    parser.print_help()
    return 2


if __name__ == "__main__":
    sys.exit(main())
