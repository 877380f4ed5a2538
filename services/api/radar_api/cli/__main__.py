"""`python -m radar_api.cli`: the same as the `radar` console script."""

from radar_api.cli.app import main

if __name__ == "__main__":
    main()
