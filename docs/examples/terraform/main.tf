# kafka-eventbridge-lambda from the Serverless Application Repository, with Terraform.
# `terraform init && terraform apply` deploys it (an AWS account is needed for that).

resource "aws_serverlessapplicationrepository_cloudformation_stack" "orders_to_eventbridge" {
  name = "orders-to-eventbridge"

  # The application as `sam publish` created it (docs/deploy.md), and its version.
  application_id   = "arn:aws:serverlessrepo:eu-west-1:111122223333:applications/kafka-eventbridge-lambda"
  semantic_version = "0.1.0"

  # The stack creates the function's role.
  capabilities = ["CAPABILITY_IAM"]

  # The template's parameters (docs/configuration.md names the ones that set variables).
  parameters = {
    ConnectorId   = "orders"
    EventBusArn   = "arn:aws:events:eu-west-1:111122223333:event-bus/orders"
    MskClusterArn = "arn:aws:kafka:eu-west-1:111122223333:cluster/orders/0f3c2a10-7d1e-4b2a-9a51-3f0c9d1e2b44-2"
    Topic         = "orders"
  }
}
