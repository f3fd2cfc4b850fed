/**
 * Versioned notifications (Nova's instance.create.start and friends), published
 * on the `versioned_notifications.<priority>` topics: over a broker into the
 * notification queues OpenStack consumers read (Transport.notify), in process
 * to the current fanout listeners. The message carries the context both as
 * `context` and flattened as oslo.messaging packs it (`_context_*`).
 */
import { randomUUID } from 'node:crypto';
import type { Transport } from './transport.js';
import type { RequestContext } from './context.js';
import { packContext } from './oslo-message.js';

export interface Notification {
  message_id: string;
  publisher_id: string;
  event_type: string;
  priority: 'INFO' | 'ERROR' | 'WARN';
  timestamp: string;
  payload: unknown;
  context: { request_id: string; user_id: string | null; project_id: string | null };
}

export const NOTIFICATION_TOPIC = 'versioned_notifications';

/** Whether `[oslo_messaging_notifications] driver` sends anything over this transport. */
export function notificationsEnabled(driver: string, transport: Transport): boolean {
  if (driver === 'noop') return false;
  if (driver === 'messagingv2' || driver === 'messaging') return true;
  return !transport.notify;
}

export class Notifier {
  constructor(private readonly transport: Transport, private readonly publisherId: string, private readonly enabled = true) {}

  info(ctx: RequestContext, eventType: string, payload: unknown): Promise<void> {
    return this.emit('INFO', ctx, eventType, payload);
  }

  error(ctx: RequestContext, eventType: string, payload: unknown): Promise<void> {
    return this.emit('ERROR', ctx, eventType, payload);
  }

  private async emit(priority: Notification['priority'], ctx: RequestContext, eventType: string, payload: unknown): Promise<void> {
    if (!this.enabled) return;
    const n: Notification = {
      message_id: randomUUID(),
      publisher_id: this.publisherId,
      event_type: eventType,
      priority,
      timestamp: new Date().toISOString(),
      payload,
      context: { request_id: ctx.requestId, user_id: ctx.userId, project_id: ctx.projectId },
    };
    const topic = `${NOTIFICATION_TOPIC}.${priority.toLowerCase()}`;
    const body = JSON.stringify({ ...n, ...packContext(ctx) });
    if (this.transport.notify) await this.transport.notify(topic, body);
    else await this.transport.fanout(topic, body);
  }
}
