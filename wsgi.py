from community import create_app
from community.core import heap

app = create_app()
heap.settle()  # a served process: start-up objects out of the collector's walk
