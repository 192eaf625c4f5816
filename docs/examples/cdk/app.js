// kafka-eventbridge-lambda from the Serverless Application Repository, with the AWS CDK.
// `node app.js` synthesizes the stack offline and prints its CloudFormation template;
// `npx cdk deploy --app "node app.js"` deploys it (an AWS account is needed for that).
const { App, Stack } = require("aws-cdk-lib");
const { CfnApplication } = require("aws-cdk-lib/aws-sam");

const app = new App();
const stack = new Stack(app, "OrdersToEventBridge");

new CfnApplication(stack, "KafkaToEventBridge", {
  location: {
    // The application as `sam publish` created it (docs/deploy.md), and its version.
    applicationId:
      "arn:aws:serverlessrepo:eu-west-1:111122223333:applications/kafka-eventbridge-lambda",
    semanticVersion: "0.1.0",
  },
  // The template's parameters (docs/configuration.md names the ones that set variables).
  parameters: {
    ConnectorId: "orders",
    EventBusArn: "arn:aws:events:eu-west-1:111122223333:event-bus/orders",
    MskClusterArn:
      "arn:aws:kafka:eu-west-1:111122223333:cluster/orders/0f3c2a10-7d1e-4b2a-9a51-3f0c9d1e2b44-2",
    Topic: "orders",
  },
});

const template = app.synth().getStackByName(stack.stackName).template;
process.stdout.write(JSON.stringify(template, null, 1) + "\n");
