// The illness-death survival model of bayes_scot.builders.survival.SurvivalModel for one
// trial, written for Stan to benchmark the package's samplers against (benchmarks/).
//
// States: event-free (0), alive after organ failure (1), dead (2). Transitions: 0 -> 1
// (organ failure), 0 -> 2 (death event-free), 1 -> 2 (death after failure), with hazards
// constant within K intervals. Control-arm log hazards are a random walk over intervals
// per transition. In the experimental arm (the package's "per_transition" structure) the
// hazard of leaving the event-free state is the control arm's times exp(beta), beta the
// log hazard ratio plus an interval deviation, the deviations' hazard ratios averaging
// one with the intervals' event shares as weights;
// the log odds that death (rather than organ failure) ends event-free survival shift by
// a split; the hazard of death after failure is the control arm's times exp(log HR +
// its own deviation + an interval deviation). The deviation SDs sigma_transition and
// sigma_interval are parameters with half-normal priors.
//
// Evidence terms (as the package's planner makes them for SCOT): state counts at a
// landmark (multinomial), state counts at a later landmark given those at an earlier one
// (sum over the unobserved paths), and deaths known to have occurred by an earlier time
// (binomial lower tail). Path-count coefficients are data, computed by the package.

functions {
  real g(real x) {
    // (1 - exp(-x)) / x with its series near 0
    if (abs(x) < 1e-5) {
      return 1 - x / 2 + x * x / 6;
    }
    return -expm1(-x) / x;
  }

  // Propagate (event-free, after failure) probabilities over d months at hazards h.
  vector step(vector p, vector h, real d) {
    real a = h[1] + h[2];
    real low = fmin(a, h[3]);
    real gap = abs(h[3] - a);
    real exp_diff = exp(-low * d) * d * g(gap * d);
    return [p[1] * exp(-a * d), p[2] * exp(-h[3] * d) + p[1] * h[1] * exp_diff]';
  }

  // (event-free, after failure) probabilities at t1 from p at t0, hazards h (K x 3).
  vector propagate(vector p, matrix h, vector edges, real t0, real t1) {
    int K = rows(h);
    vector[2] q = p;
    real t = t0;
    while (t < t1) {
      int k = 1;
      while (k < K && edges[k + 1] <= t) {
        k += 1;
      }
      real stop = k < K ? fmin(edges[k + 1], t1) : t1;
      q = step(q, h[k]', stop - t);
      t = stop;
    }
    return q;
  }

  vector states_at(matrix h, vector edges, real t) {
    vector[2] q = propagate([1, 0]', h, edges, 0, t);
    return [q[1], q[2], 1 - q[1] - q[2]]';
  }

  real log_clip(real p) {
    return log(fmin(fmax(p, 1e-300), 1));
  }

  real xlogp(real count, real p) {
    return count == 0 ? 0 : count * log_clip(p);
  }
}

data {
  int<lower=1> K;                       // intervals
  vector[K + 1] edges;                  // months, edges[1] = 0
  vector[3] baseline_mean;              // prior mean of each transition's log hazard
  real<lower=0> baseline_sd;
  real<lower=0> smoothing_sd;           // SD of the random walk's steps
  real log_hr_prior_mean;
  real<lower=0> log_hr_prior_sd;
  real<lower=0> transition_sd_scale;    // half-normal prior scales of the deviation SDs
  real<lower=0> interval_sd_scale;
  vector[K] interval_weights;           // event shares: interval deviations sum to 0 on them

  int<lower=0> n_landmark;              // landmark state counts, per term and arm
  array[n_landmark] real landmark_time;
  array[n_landmark, 2] vector[3] landmark_counts;

  int<lower=0> n_interval;              // state counts at t1 given counts at t0
  int<lower=1> U;                       // max_count + 1
  array[n_interval, 2] real interval_times;
  array[n_interval, 2] vector[3] interval_start;
  array[n_interval, 2] vector[3] interval_end;
  array[n_interval, 2] vector[U] interval_coef;
  array[n_interval, 2, U] int<lower=0, upper=1> interval_valid;

  int<lower=0> n_deaths;                // at least k of the d deaths by T occurred by t
  array[n_deaths, 2] real deaths_times; // (t, T)
  array[n_deaths] vector[2] deaths;
  array[n_deaths] vector[2] deaths_at_least;
  array[n_deaths, 2] vector[U] deaths_coef;
  array[n_deaths, 2, U] int<lower=0, upper=1> deaths_valid;
}

transformed data {
  vector[K] log_weights = log(interval_weights);
}

parameters {
  vector[3] baseline_level_z;
  matrix[3, K - 1] baseline_walk_z;
  real log_hr;
  real<lower=0> sigma_interval;
  matrix[2, K] interval_effect_z;       // rows: leaving event-free, death after failure
  real<lower=0> sigma_transition;
  vector[2] transition_effect_z;        // the split, death after failure
}

transformed parameters {
  array[2] matrix[K, 3] hazard;         // arm 1 experimental, arm 2 control
  {
    matrix[3, K] log_h0;
    for (j in 1:3) {
      real level = baseline_mean[j] + baseline_sd * baseline_level_z[j];
      for (k in 1:K) {
        log_h0[j, k] = level;
        if (k < K) {
          level += smoothing_sd * baseline_walk_z[j, k];
        }
      }
    }
    real split = sigma_transition * transition_effect_z[1];
    real after = log_hr + sigma_transition * transition_effect_z[2];
    for (line in 1:2) {
      // centred on the hazard-ratio scale: sum_k w_k exp(deviation_k) = 1
      row_vector[K] raw = sigma_interval * interval_effect_z[line];
      real centre = log_sum_exp(log_weights' + raw);
      for (k in 1:K) {
        real deviation = raw[k] - centre;
        if (line == 1) {
          real log_exit = log_sum_exp(log_h0[1, k], log_h0[2, k]) + log_hr + deviation;
          real logit_death = log_h0[2, k] - log_h0[1, k] + split;
          hazard[1][k, 1] = exp(log_exit - log1p_exp(logit_death));
          hazard[1][k, 2] = exp(log_exit - log1p_exp(-logit_death));
        } else {
          hazard[1][k, 3] = exp(log_h0[3, k] + after + deviation);
        }
      }
    }
    hazard[2] = exp(log_h0');
  }
}

model {
  to_vector(baseline_level_z) ~ std_normal();
  to_vector(baseline_walk_z) ~ std_normal();
  log_hr ~ normal(log_hr_prior_mean, log_hr_prior_sd);
  transition_effect_z ~ std_normal();
  sigma_transition ~ normal(0, transition_sd_scale);
  sigma_interval ~ normal(0, interval_sd_scale);
  to_vector(interval_effect_z) ~ std_normal();

  for (i in 1:n_landmark) {
    for (a in 1:2) {
      vector[3] p = states_at(hazard[a], edges, landmark_time[i]);
      vector[3] c = landmark_counts[i, a];
      target += lgamma(sum(c) + 1) - sum(lgamma(c + 1));
      for (s in 1:3) {
        target += xlogp(c[s], p[s]);
      }
    }
  }
  for (i in 1:n_interval) {
    for (a in 1:2) {
      real t0 = interval_times[i, 1];
      real t1 = interval_times[i, 2];
      vector[2] from0 = propagate([1, 0]', hazard[a], edges, t0, t1);
      vector[2] from1 = propagate([0, 1]', hazard[a], edges, t0, t1);
      vector[3] log_p0 = [log_clip(from0[1]), log_clip(from0[2]),
                          log_clip(1 - from0[1] - from0[2])]';
      real p11 = from1[2];
      vector[3] s = interval_start[i, a];
      vector[3] e = interval_end[i, a];
      array[U] real terms;
      int n_terms = 0;
      for (v in 1:U) {
        if (interval_valid[i, a, v]) {
          real u = v - 1;
          real stayed = e[2] - u;
          n_terms += 1;
          terms[n_terms] = interval_coef[i, a, v] + e[1] * log_p0[1] + u * log_p0[2]
                           + (s[1] - e[1] - u) * log_p0[3] + stayed * log_clip(p11)
                           + (s[2] - stayed) * log_clip(1 - p11);
        }
      }
      target += log_sum_exp(terms[1:n_terms]);
    }
  }
  for (i in 1:n_deaths) {
    for (a in 1:2) {
      if (deaths_at_least[i][a] > 0) {
        real q = states_at(hazard[a], edges, deaths_times[i, 1])[3]
                 / states_at(hazard[a], edges, deaths_times[i, 2])[3];
        array[U] real terms;
        int n_terms = 0;
        for (v in 1:U) {
          if (deaths_valid[i, a, v]) {
            n_terms += 1;
            terms[n_terms] = deaths_coef[i, a, v] + (v - 1) * log_clip(q)
                             + (deaths[i][a] - (v - 1)) * log_clip(1 - q);
          }
        }
        target += log1m_exp(fmin(log_sum_exp(terms[1:n_terms]), -1e-12));
      }
    }
  }
}
