// Verifies a webhook signature with the official Standard Webhooks library.
// Usage: node verify-webhook.mjs '{"secret":..,"id":..,"timestamp":..,"signature":..,"body":..}'  (exit 0 when valid)
import { Webhook } from "standardwebhooks";

const { secret, id, timestamp, signature, body } = JSON.parse(process.argv[2]);
try {
  new Webhook(secret).verify(body, { "webhook-id": id, "webhook-timestamp": timestamp, "webhook-signature": signature });
  console.log("valid");
} catch (error) {
  console.error(error.message);
  process.exit(1);
}
