"""Fleet learning on Flower: many devices fine-tune one global model together.

device.py   a host-emulated device (the firmware's C via cffi + its weight store)
wire.py     the bytes that travel per method (uploads, broadcasts), checked on arrival
methods.py  per-method local round, aggregation and replay
server.py   the Flower ServerApp (strategy + global model)
client.py   the Flower ClientApp (drives one emulated device or a board via the link)
simulate.py Simulation Engine runs and the report; deploy.py the Deployment Engine
"""
