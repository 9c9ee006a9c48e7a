import gc

from community import create_app

app = create_app()
gc.collect()
gc.freeze()  # start-up objects live as long as the worker: keep full collections off them
