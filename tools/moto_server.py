"""moto_server as the tests start it: moto (the version scripts/setup pins) with one fix.

moto 5.2.5's SQS ReceiveMessage checks each message's retention period through
get_queue_attributes(), which computes every attribute of the queue, message counts included
(moto/sqs/models.py, SQSBackend.is_message_valid_based_on_retention_period): a receive costs
O(depth^2), seconds per call on a 1,000-message queue. The check below reads the one attribute
it needs; what it decides is unchanged. S3 PutObject is made atomic (see below). Per-request
access logging is also turned down.
"""

import logging
import sys
import threading

from moto.core.utils import unix_time
from moto.s3.responses import S3Response
from moto.server import main
from moto.sqs.models import SQSBackend


def _is_message_valid_based_on_retention_period(self, queue_name, message):
    queue = self.get_queue(queue_name)
    retain_until = int(queue.message_retention_period) + message.sent_timestamp / 1000
    return retain_until > unix_time()


SQSBackend.is_message_valid_based_on_retention_period = (
    _is_message_valid_based_on_retention_period
)
# S3 conditional writes are atomic: of two PutObject with the same If-Match, one gets 412. moto
# 5.2.5 checks the condition and stores the object in two steps, and moto_server is threaded, so
# both could succeed; one lock over PutObject gives S3's guarantee (the FEC sink relies on it).
_put_lock = threading.Lock()
_put_object = S3Response.put_object


def _atomic_put_object(self, *args, **kwargs):
    with _put_lock:
        return _put_object(self, *args, **kwargs)


S3Response.put_object = _atomic_put_object
logging.getLogger("werkzeug").setLevel(logging.WARNING)

if __name__ == "__main__":
    sys.exit(main())
