"""scikit-learn's own estimator checks, run on small, fast configurations."""

from sklearn.utils.estimator_checks import parametrize_with_checks

from aekit import AnomalyDetector, Autoencoder, VariationalAutoencoder

SMALL = dict(latent_dim=2, hidden_dims=(8,), epochs=3, batch_size=16, random_state=0, device="cpu")

# No check is listed as an expected failure: all pass.
EXPECTED_FAILED_CHECKS: dict[str, str] = {}


@parametrize_with_checks(
    [
        Autoencoder(**SMALL),
        # Every training-time axis at once: noise, a penalty on the code, contraction.
        Autoencoder(**SMALL, noise=0.1, noise_type="salt_pepper", sparsity=1e-3, contractive=1e-3),
        VariationalAutoencoder(**SMALL),
        AnomalyDetector(Autoencoder(**SMALL), contamination=0.1),
    ],
    expected_failed_checks=lambda est: EXPECTED_FAILED_CHECKS,
)
def test_sklearn_estimator_checks(estimator, check):
    check(estimator)
