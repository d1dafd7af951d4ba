// Moved: the delivery types live in ./delivery.js and the strategy in ./delivery-task.js. This
// module only keeps imports of work in progress compiling; it goes away once they are updated.
export type {
  AttemptOutcome,
  Delivery,
  DeliveryAttemptRecord,
  DeliveryChanges,
  DeliveryHandler,
  DeliveryLedger,
  DeliveryProgress,
  DeliveryStatus,
} from "./delivery.js";
