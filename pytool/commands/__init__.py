"""One module per `tinyodl` subcommand: add_parser(parser) and run(args)."""
