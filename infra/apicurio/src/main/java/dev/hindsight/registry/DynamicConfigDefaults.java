package dev.hindsight.registry;

import io.apicurio.common.apps.config.DynamicConfigPropertyList;
import java.util.List;
import javax.enterprise.inject.Produces;
import javax.inject.Singleton;

/**
 * The bean that Apicurio's config-index extension would build from the registry's dynamic settings
 * (the ones changed through its admin API at run time). That extension's build half is not on Maven
 * Central; with an empty list every setting keeps the value it starts with.
 */
public class DynamicConfigDefaults {
  @Produces
  @Singleton
  DynamicConfigPropertyList dynamicConfigProperties() {
    return new DynamicConfigPropertyList(List.of());
  }
}
