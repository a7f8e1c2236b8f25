/*
 * A local fake of the one Stripe API call libsaas makes, GET
 * /v1/subscriptions/{id}, for tests: a libmicrohttpd daemon on
 * 127.0.0.1 (a port the system picks), answering from a table of
 * subscription objects the test puts in.
 *
 * Its answers follow Stripe's:
 * - a missing or wrong `Authorization: Bearer <key>` header: 401,
 *   {"error":{"type":"invalid_request_error","message":"Invalid API Key provided"}};
 * - an id it does not hold: 404,
 *   {"error":{"code":"resource_missing","type":"invalid_request_error",
 *   "message":"No such subscription: 'sub_x'"}};
 * - otherwise 200 with the JSON put for the id, byte for byte;
 * - any other path or method: 404 / 405 with an error body.
 * fake_stripe_fail() makes the next requests fail first, whatever they ask.
 *
 * Thread safety: every function may be called from any thread while the
 * daemon serves (one mutex guards the table and the counters), except
 * fake_stripe_stop(), which must be the last call.
 */
#ifndef SAAS_TEST_FAKE_STRIPE_H
#define SAAS_TEST_FAKE_STRIPE_H

struct fake_stripe;

/* Start a fake that accepts `api_key` (copied). NULL when the daemon
 * cannot start or memory runs out. */
struct fake_stripe *fake_stripe_start(const char *api_key);

/* Make GET /v1/subscriptions/{sub_id} answer 200 with `json` (copied;
 * served as given, so a test may put malformed or huge text). Replaces
 * what was put for the id before. Aborts the process if memory runs out. */
void fake_stripe_put(struct fake_stripe *fs, const char *sub_id, const char *json);

/* Make the next `times` requests answer HTTP `status` with a Stripe-style
 * error body ({"error":{"type":"api_error","message":"..."}}) naming the
 * status, before any other check. Replaces an earlier call's count. */
void fake_stripe_fail(struct fake_stripe *fs, int status, int times);

/* The base URL, "http://127.0.0.1:PORT" (no trailing '/'). Owned by fs. */
const char *fake_stripe_url(const struct fake_stripe *fs);

/* The GET requests answered so far (failures included). */
int fake_stripe_requests(const struct fake_stripe *fs);

/* Stop the daemon and free everything. `fs` may be NULL. */
void fake_stripe_stop(struct fake_stripe *fs);

#endif
