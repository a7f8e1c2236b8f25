/* being written */
typedef int saas__unused_t;
