# The app image plus Debian's Chromium: the `visitors` service, real browsers on the lab's page.
# Playwright drives /usr/bin/chromium by path (nothing downloaded); its Node driver needs libatomic.
ARG APP
FROM ${APP}
RUN apt-get update \
 && apt-get install -y --no-install-recommends chromium libatomic1 fonts-dejavu-core \
 && rm -rf /var/lib/apt/lists/*
