"""The Flower App components for the Deployment Engine (`flwr run`): the
fleet's configuration travels as one JSON run-config value, `fleet`."""

from __future__ import annotations

from flwr.app import Context, Message
from flwr.clientapp import ClientApp
from flwr.serverapp import Grid, ServerApp

from pytool.fleet.flower_apps import FleetConfig, client_round, run_server

server_app = ServerApp()
client_app = ClientApp()


@server_app.main()
def _server(grid: Grid, context: Context) -> None:
    cfg = FleetConfig.from_json(str(context.run_config["fleet"]))
    run_server(cfg, grid, log=print)


@client_app.train()
def _train(msg: Message, context: Context) -> Message:
    return client_round(FleetConfig.from_json(str(context.run_config["fleet"])), msg, context)
