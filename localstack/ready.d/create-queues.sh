#!/bin/bash
# LocalStack init hook: the same queues as tools/sqs-emulator/queues.json (a test compares them).
set -euo pipefail
awslocal sqs create-queue --queue-name transactions-dlq.fifo \
  --attributes '{"FifoQueue":"true","MessageRetentionPeriod":"1209600"}'
awslocal sqs create-queue --queue-name transactions.fifo \
  --attributes '{"FifoQueue":"true","VisibilityTimeout":"180","RedrivePolicy":"{\"deadLetterTargetArn\":\"arn:aws:sqs:us-east-1:000000000000:transactions-dlq.fifo\",\"maxReceiveCount\":5}"}'
awslocal sqs create-queue --queue-name webhook-events-dlq.fifo \
  --attributes '{"FifoQueue":"true","MessageRetentionPeriod":"1209600"}'
awslocal sqs create-queue --queue-name webhook-events.fifo \
  --attributes '{"FifoQueue":"true","VisibilityTimeout":"720","RedrivePolicy":"{\"deadLetterTargetArn\":\"arn:aws:sqs:us-east-1:000000000000:webhook-events-dlq.fifo\",\"maxReceiveCount\":5}"}'
