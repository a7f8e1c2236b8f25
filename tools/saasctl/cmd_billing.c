/* saasctl billing: the subscription state machine (saas/billing.h). */
#include <stdio.h>

#include "saasctl.h"

int sc_cmd_billing_states(struct sc *sc, const struct sc_args *a)
{
	int md = sc_opt_value(sc, a, "markdown") != NULL, dot = sc_opt_value(sc, a, "dot") != NULL;
	char *text = NULL;
	int rc;

	if (md == dot)
		return sc_usage_error(sc, "give exactly one of --markdown and --dot");
	rc = md ? saas_sub_table_markdown(&text) : saas_sub_table_dot(&text);
	if (rc)
		return sc_lib_error(rc);
	fputs(text, stdout);
	saas_free(text);
	return SC_EXIT_OK;
}
