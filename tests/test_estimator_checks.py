"""scikit-learn's own estimator checks, run on a small, fast configuration."""

from sklearn.utils.estimator_checks import parametrize_with_checks

from aekit import Autoencoder

# No check is listed as an expected failure: all pass.
EXPECTED_FAILED_CHECKS: dict[str, str] = {}


@parametrize_with_checks(
    [
        Autoencoder(
            latent_dim=2, hidden_dims=(8,), epochs=3, batch_size=16, random_state=0, device="cpu"
        )
    ],
    expected_failed_checks=lambda est: EXPECTED_FAILED_CHECKS,
)
def test_sklearn_estimator_checks(estimator, check):
    check(estimator)
