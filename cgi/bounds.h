/* SPDX-License-Identifier: GPL-2.0-or-later */
/* bounds.h - every maximum ctd.cgi checks input against, named once (bounds first). */
#ifndef CTD_BOUNDS_H
#define CTD_BOUNDS_H

#define CTD_BODY_MAX	    (1024u * 1024u) /* request body, = xmlrpc-c size limit */
#define CTD_NESTING_MAX	    32u		    /* xmlrpc-c nesting limit */
#define CTD_CONF_MAX	    (256u * 1024u)  /* size of ctd.conf */
#define CTD_CONF_LINE_MAX   4096u	    /* one line of ctd.conf */
#define CTD_HIDE_MAX	    64u		    /* hide_networks entries */
#define CTD_ROLES_MAX	    256u	    /* roles entries */
#define CTD_USER_MAX	    128u	    /* user name length incl. NUL */
#define CTD_PASSWD_MAX	    (1024u * 1024u) /* size of the password file */
#define CTD_PASSWORD_MAX    1024u	    /* a password given to login */
#define CTD_TABLE_MAX	    4000000u	    /* entries one dump may hold */
#define CTD_DEFER_MIN	    20000u	    /* a fresh dump this big is stored after the answer */
#define CTD_DEFER_MAX	    2000000u	    /* but not one bigger: Apache kills a CGI 3 s after its answer */
#define CTD_PAGE_FIRST_MAX  2000u	    /* and a page this deep answered before it is sorted */
#define CTD_CHUNK_RECS	    4096u	    /* records per snapshot blob */
#define CTD_AUTOREFRESH_MAX 86400	    /* seconds */
#define CTD_KILL_MAX	    1000000u	    /* max_kill: entries one kill_preview token holds */

#endif /* CTD_BOUNDS_H */
