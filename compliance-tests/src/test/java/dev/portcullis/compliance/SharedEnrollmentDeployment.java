package dev.portcullis.compliance;

import org.junit.jupiter.api.extension.ExtensionContext;
import org.junit.jupiter.api.extension.ParameterContext;
import org.junit.jupiter.api.extension.ParameterResolver;

/**
 * Gives the enrollment test classes one quickstart deployment for the whole test run: started by
 * the first class that asks (a parameter of type {@link EnrollmentDeployment}, typically of its
 * {@code @BeforeAll}), reset ({@code ./quickstart reset}) when the run ends, also after failures.
 * A cold start of core with its embedded PostgreSQL, an edge-proxy and a gateway costs half a
 * minute or more on the 2-core build machines; the classes keep to their own users, locations,
 * address pools and client source addresses, so sharing it changes nothing they check.
 * Running one class alone starts the deployment just for it.
 */
final class SharedEnrollmentDeployment implements ParameterResolver {

    private static final ExtensionContext.Namespace NAMESPACE = ExtensionContext.Namespace.create(SharedEnrollmentDeployment.class);

    @Override
    public boolean supportsParameter(ParameterContext parameter, ExtensionContext context) {
        return parameter.getParameter().getType() == EnrollmentDeployment.class;
    }

    @Override
    public Object resolveParameter(ParameterContext parameter, ExtensionContext context) {
        return context.getRoot().getStore(NAMESPACE).getOrComputeIfAbsent("deployment", key -> start(),
                Resource.class).deployment();
    }

    private static Resource start() {
        try {
            return new Resource(EnrollmentDeployment.start("enrollment"));
        } catch (Exception e) {
            throw new IllegalStateException("the enrollment deployment did not start: " + e.getMessage(), e);
        }
    }

    /** Closed by JUnit (an AutoCloseable in the root store) when the run ends, after every test class. */
    record Resource(EnrollmentDeployment deployment) implements AutoCloseable {
        @Override
        public void close() throws java.io.IOException {
            deployment.close();
        }
    }
}
