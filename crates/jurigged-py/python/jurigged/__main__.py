"""`python -m jurigged` and the `jurigged` console script."""

import sys

from ._jurigged import cli_main


def main():
    sys.exit(cli_main(sys.argv))


if __name__ == "__main__":
    main()
