"""Runs moto's server as an AWS account whose Firehose stream quota has been raised.

moto refuses a region's 51st Firehose stream, as AWS does under its default quota. Accounts
that run many pipelines ask AWS for a higher quota through Service Quotas, and the benchmark's
100-pipeline run needs one too, so this launcher raises moto's limit before serving.

Usage: python moto_server.py -H 127.0.0.1 -p PORT   (the arguments of moto_server)
"""

import sys

from moto.firehose.models import DeliveryStream
from moto.server import main

RAISED_STREAM_QUOTA = 1000

if __name__ == "__main__":
    DeliveryStream.MAX_STREAMS_PER_REGION = RAISED_STREAM_QUOTA
    sys.exit(main())
