/*
 * The HTTPS front of nusec-cloud: libmicrohttpd + GnuTLS, a thread per connection, client
 * certificate required and verified once per connection, body size limit, JSON errors.
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#pragma once

#include "nusec-cloud-context.h"

G_BEGIN_DECLS

typedef struct _NuSecCloudServer NuSecCloudServer;

NuSecCloudServer *
nusec_cloud_server_start(NuSecCloud *cloud, GError **error);
/* the TCP port actually bound (useful with port 0) */
guint16
nusec_cloud_server_get_port(NuSecCloudServer *self);
void
nusec_cloud_server_stop(NuSecCloudServer *self);

G_END_DECLS
